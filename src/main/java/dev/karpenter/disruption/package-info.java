/** The disruption controller: the leader-only loop that plans and executes disruption commands. */
package dev.karpenter.disruption;
