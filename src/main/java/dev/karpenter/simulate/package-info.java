/**
 * The offline front of {@code karpenter simulate}: reads manifests into the same snapshot the
 * operator builds, and prints plans.
 */
package dev.karpenter.simulate;
