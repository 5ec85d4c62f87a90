package dev.karpenter.cloudprovider.module;

import java.time.Duration;

/**
 * A periodic task a provider brings (e.g. garbage collection of instances without a NodeClaim). The
 * operator runs it every {@code every} while this replica leads; a failing run is logged and the
 * next one runs on schedule.
 */
public record BackgroundLoop(String name, Duration every, Runnable task) {}
