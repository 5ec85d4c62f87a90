package dev.karpenter.cloudprovider;

import java.util.AbstractMap;

/**
 * A label map that a provider guarantees never changes, so {@link InstanceType} keeps it instead of
 * copying it (a provider's catalog may hold thousands of types with dozens of labels each).
 */
public abstract class ImmutableLabels extends AbstractMap<String, String> {
  protected ImmutableLabels() {}
}
