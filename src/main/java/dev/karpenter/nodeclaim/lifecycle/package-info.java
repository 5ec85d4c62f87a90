/** The NodeClaim lifecycle: launch, registration, initialization and liveness. */
package dev.karpenter.nodeclaim.lifecycle;
