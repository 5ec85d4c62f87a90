/**
 * Differential oracle: our plans checked against the real kube-scheduler on a local control plane.
 */
package dev.karpenter.oracle;
