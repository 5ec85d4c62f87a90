/** NodeClaim disruption state: the Consolidatable and Drifted conditions and lastPodEventTime. */
package dev.karpenter.nodeclaim.disruption;
