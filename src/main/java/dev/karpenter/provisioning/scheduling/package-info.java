/**
 * The pure scheduling simulation: places pods on existing nodes, in-flight claims and new
 * NodeClaims, and the cost improver.
 */
package dev.karpenter.provisioning.scheduling;
