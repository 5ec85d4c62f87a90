/**
 * Upstream Karpenter's scheduling test suite as a checklist of scenario tests (docs/scheduling.md).
 */
package dev.karpenter.provisioning.scheduling.upstream;
