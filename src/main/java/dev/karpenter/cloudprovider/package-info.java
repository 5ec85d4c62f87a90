/**
 * The cloud seam: {@code CloudProvider}, its typed errors and the cloud-neutral instance types and
 * offerings that the scheduler reads.
 */
package dev.karpenter.cloudprovider;
