/** Benchmarks behind {@code karpenter bench}; results go to docs/benchmarks.md. */
package dev.karpenter.bench;
