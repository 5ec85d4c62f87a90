/**
 * Kubernetes Events for NodePools, NodeClaims, Nodes and Pods, recorded asynchronously and
 * de-duplicated.
 */
package dev.karpenter.events;
