package dev.karpenter.cloudprovider;

import java.util.List;

/** Typed cloud failures the controllers react to differently. */
public abstract sealed class CloudProviderException extends RuntimeException
    permits CloudProviderException.InsufficientCapacity,
        CloudProviderException.NodeClaimNotFound,
        CloudProviderException.NodeClassNotReady,
        CloudProviderException.CreateError {

  private CloudProviderException(String message) {
    super(message);
  }

  /**
   * No offering of the claim could launch.
   *
   * @param unavailableOfferings Karpenter ICE-cache keys {@code capacityType:instanceType:zone}
   *     that failed, so the next scheduling round avoids them
   */
  public static final class InsufficientCapacity extends CloudProviderException {
    private final List<String> unavailableOfferings;

    public InsufficientCapacity(String message, List<String> unavailableOfferings) {
      super(message);
      this.unavailableOfferings = List.copyOf(unavailableOfferings);
    }

    public List<String> unavailableOfferings() {
      return unavailableOfferings;
    }
  }

  /** The instance does not exist (any more). */
  public static final class NodeClaimNotFound extends CloudProviderException {
    public NodeClaimNotFound(String message) {
      super(message);
    }
  }

  /** The claim's node class is missing or not Ready. */
  public static final class NodeClassNotReady extends CloudProviderException {
    public NodeClassNotReady(String message) {
      super(message);
    }
  }

  /** Launching failed for another reason (API error, throttling); the launch is retried. */
  public static final class CreateError extends CloudProviderException {
    public CreateError(String message) {
      super(message);
    }
  }
}
