/**
 * The provisioner: batches pending pods, asks the scheduler for a plan on the snapshot and creates
 * NodeClaims.
 */
package dev.karpenter.provisioning;
