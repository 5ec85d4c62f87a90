/**
 * The Prometheus registry of Karpenter's {@code karpenter_*} families: a leaf that controllers and
 * providers call.
 */
package dev.karpenter.metrics;
