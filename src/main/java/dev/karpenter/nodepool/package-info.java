/** NodePool controllers: status (resources, node count), readiness and the hash annotation. */
package dev.karpenter.nodepool;
