/**
 * A kubelet stand-in for instances that have no real kubelet (the simulated cloud, instances on the
 * EC2 emulator): registers their Nodes, runs the pods bound to them, renews their Leases.
 */
package dev.karpenter.cloudprovider.kubelet;
