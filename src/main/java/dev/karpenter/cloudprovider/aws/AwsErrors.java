package dev.karpenter.cloudprovider.aws;

import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;

/** Classifies SDK failures into what the controllers do about them. */
final class AwsErrors {
  /** CreateFleet error codes that mean "this pool has no capacity now" (upstream's list). */
  static final Set<String> UNFULFILLABLE_CAPACITY =
      Set.of(
          "InsufficientInstanceCapacity",
          "MaxSpotInstanceCountExceeded",
          "VcpuLimitExceeded",
          "UnfulfillableCapacity",
          "Unsupported",
          "InsufficientFreeAddressesInSubnet",
          "ReservationCapacityExceeded");

  private static final Set<String> NOT_FOUND =
      Set.of(
          "InvalidInstanceID.NotFound",
          "InvalidLaunchTemplateName.NotFoundException",
          "InvalidLaunchTemplateId.NotFound",
          "NoSuchEntity");

  private AwsErrors() {}

  static String code(Throwable e) {
    if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
      return a.awsErrorDetails().errorCode();
    }
    return null;
  }

  static boolean isNotFound(Throwable e) {
    String c = code(e);
    return c != null && (NOT_FOUND.contains(c) || c.endsWith(".NotFound"));
  }

  static boolean isThrottling(Throwable e) {
    return e instanceof AwsServiceException a && a.isThrottlingException();
  }

  /** One line for logs, conditions and events: the API error code and message, not a trace. */
  static String describe(Throwable e) {
    if (isThrottling(e)) {
      return "AWS API throttled the request after the SDK's retries ("
          + code(e)
          + "); it is retried later. Raise the account's API rate limits if this persists";
    }
    if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
      return a.awsErrorDetails().errorCode() + ": " + a.awsErrorDetails().errorMessage();
    }
    if (e instanceof SdkException) {
      return "AWS SDK: " + e.getMessage();
    }
    return e.toString();
  }
}
