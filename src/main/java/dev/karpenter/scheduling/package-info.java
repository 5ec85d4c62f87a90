/**
 * The pure requirements algebra, resource arithmetic and pod accessors that every decision shares.
 * Distinct from {@code provisioning.scheduling}, which is the scheduling simulation built on it.
 */
package dev.karpenter.scheduling;
