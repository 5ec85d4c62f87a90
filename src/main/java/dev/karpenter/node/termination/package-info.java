/** Node termination: cordon, drain through the Eviction API and the Node finalizer. */
package dev.karpenter.node.termination;
