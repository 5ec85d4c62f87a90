/**
 * The one translation from cluster objects (informers or manifest files) into the immutable
 * snapshot every decision reads.
 */
package dev.karpenter.state;
