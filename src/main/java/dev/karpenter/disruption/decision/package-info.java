/** The pure disruption decision core: budgets, eligibility, drift, expiration and consolidation. */
package dev.karpenter.disruption.decision;
