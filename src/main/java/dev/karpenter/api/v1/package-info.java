/**
 * The {@code karpenter.sh/v1} model (NodePool, NodeClaim), the one home of well-known labels and
 * resource names, and the NodePool hash.
 */
package dev.karpenter.api.v1;
