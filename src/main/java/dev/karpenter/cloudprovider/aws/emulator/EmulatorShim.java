package dev.karpenter.cloudprovider.aws.emulator;

import dev.karpenter.cloudprovider.Offering;
import dev.karpenter.cloudprovider.aws.catalog.Catalog;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.DescribeSpotPriceHistoryResponse;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateConfigRequest;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.LocationType;
import software.amazon.awssdk.services.ec2.model.SpotPrice;

/**
 * The cloud realism moto lacks, as an SDK interceptor in front of it (aws-emulator.md §2, §6):
 *
 * <ul>
 *   <li>CreateFleet honours the allocation strategy by price: overrides are ordered by their
 *       priority (the offering price Karpenter sends), because moto launches the first override;
 *   <li>offerings are enforced per zone: overrides for a type not offered in their zone
 *       (DescribeInstanceTypeOfferings) fail with {@code Unsupported};
 *   <li>injectable capacity errors: an override for an offering marked ICE fails with {@code
 *       InsufficientInstanceCapacity} in the response's {@code Errors}, as EC2 reports it; when
 *       every override fails the request runs as DryRun (nothing launches) and the answer is an
 *       errors-only response;
 *   <li>launched instances are in their launch template's security groups (moto puts spot ones in
 *       the VPC's default group);
 *   <li>DescribeSpotPriceHistory answers with the catalog's spot estimates per zone instead of
 *       moto's flat 0.00001.
 * </ul>
 *
 * Nothing here decides what Karpenter does; it only plays the cloud.
 */
public final class EmulatorShim implements ExecutionInterceptor {
  private static final ExecutionAttribute<List<CreateFleetError>> FAILED =
      new ExecutionAttribute<>("karpenter.emulator.failed");
  private static final ExecutionAttribute<Boolean> ALL_FAILED =
      new ExecutionAttribute<>("karpenter.emulator.allFailed");

  private final Set<String> ice = ConcurrentHashMap.newKeySet();
  private final Map<String, Set<String>> offeredZones = new ConcurrentHashMap<>();
  private final AtomicReference<Ec2Client> offeringsClient = new AtomicReference<>();
  private final Catalog prices;
  private final List<CreateFleetRequest> fleetRequests =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public EmulatorShim(Catalog prices) {
    this.prices = prices;
  }

  /** The client the shim reads moto's offerings with (a plain one, without the shim). */
  public void offeringsFrom(Ec2Client ec2) {
    offeringsClient.set(ec2);
  }

  /** From now on launching {@code type} in {@code zone} as {@code capacityType} fails with ICE. */
  public void injectIce(String capacityType, String type, String zone) {
    ice.add(capacityType + ":" + type + ":" + zone);
  }

  public void clearIce() {
    ice.clear();
  }

  /** The CreateFleet requests as Karpenter sent them, before the shim touched them. */
  public List<CreateFleetRequest> fleetRequests() {
    return List.copyOf(fleetRequests);
  }

  @Override
  public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
    if (!(context.request() instanceof CreateFleetRequest req)) {
      return context.request();
    }
    fleetRequests.add(req);
    String capacityType = req.targetCapacitySpecification().defaultTargetCapacityTypeAsString();
    List<CreateFleetError> failed = new ArrayList<>();
    List<FleetLaunchTemplateConfigRequest> configs = new ArrayList<>();
    for (FleetLaunchTemplateConfigRequest c : req.launchTemplateConfigs()) {
      List<FleetLaunchTemplateOverridesRequest> kept = new ArrayList<>();
      for (FleetLaunchTemplateOverridesRequest o : c.overrides()) {
        String code = null;
        if (!offered(o.instanceTypeAsString(), o.availabilityZone())) {
          code = "Unsupported";
        } else if (ice.contains(
            capacityType + ":" + o.instanceTypeAsString() + ":" + o.availabilityZone())) {
          code = "InsufficientInstanceCapacity";
        }
        if (code == null) {
          kept.add(o);
        } else {
          failed.add(error(c, o, capacityType, code));
        }
      }
      kept.sort(
          Comparator.comparingDouble(o -> o.priority() == null ? Double.MAX_VALUE : o.priority()));
      if (!kept.isEmpty()) {
        configs.add(c.toBuilder().overrides(kept).build());
      }
    }
    configs.sort(
        Comparator.comparingDouble(
            c ->
                c.overrides().get(0).priority() == null
                    ? Double.MAX_VALUE
                    : c.overrides().get(0).priority()));
    attributes.putAttribute(FAILED, failed);
    if (configs.isEmpty()) {
      attributes.putAttribute(ALL_FAILED, true);
      return req.toBuilder().dryRun(true).build();
    }
    return req.toBuilder().launchTemplateConfigs(configs).build();
  }

  private static CreateFleetError error(
      FleetLaunchTemplateConfigRequest c,
      FleetLaunchTemplateOverridesRequest o,
      String lifecycle,
      String code) {
    return CreateFleetError.builder()
        .errorCode(code)
        .errorMessage(
            code
                + " for "
                + o.instanceTypeAsString()
                + " in "
                + o.availabilityZone()
                + " (emulated)")
        .lifecycle(lifecycle)
        .launchTemplateAndOverrides(
            l ->
                l.launchTemplateSpecification(
                        s ->
                            s.launchTemplateName(
                                c.launchTemplateSpecification().launchTemplateName()))
                    .overrides(
                        x ->
                            x.instanceType(o.instanceTypeAsString())
                                .availabilityZone(o.availabilityZone())
                                .subnetId(o.subnetId())
                                .priority(o.priority())))
        .build();
  }

  private boolean offered(String type, String zone) {
    Ec2Client ec2 = offeringsClient.get();
    if (ec2 == null || zone == null) {
      return true;
    }
    Set<String> zones =
        offeredZones.computeIfAbsent(
            type,
            t -> {
              Set<String> z = new HashSet<>();
              ec2.describeInstanceTypeOfferings(
                      r ->
                          r.locationType(LocationType.AVAILABILITY_ZONE)
                              .filters(f -> f.name("instance-type").values(t)))
                  .instanceTypeOfferings()
                  .forEach(x -> z.add(x.location()));
              return z;
            });
    return zones.contains(zone);
  }

  @Override
  public SdkHttpResponse modifyHttpResponse(
      Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    if (Boolean.TRUE.equals(attributes.getAttribute(ALL_FAILED))) {
      return context.httpResponse().toBuilder().statusCode(200).statusText("OK").build();
    }
    return context.httpResponse();
  }

  @Override
  public Optional<InputStream> modifyHttpResponseContent(
      Context.ModifyHttpResponse context, ExecutionAttributes attributes) {
    if (!Boolean.TRUE.equals(attributes.getAttribute(ALL_FAILED))) {
      return context.responseBody();
    }
    StringBuilder xml =
        new StringBuilder(
            "<CreateFleetResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">"
                + "<requestId>emulated</requestId><fleetId>fleet-emulated</fleetId><errorSet>");
    for (CreateFleetError e : attributes.getAttribute(FAILED)) {
      var o = e.launchTemplateAndOverrides().overrides();
      xml.append(
              "<item><launchTemplateAndOverrides><launchTemplateSpecification><launchTemplateName>")
          .append(e.launchTemplateAndOverrides().launchTemplateSpecification().launchTemplateName())
          .append("</launchTemplateName></launchTemplateSpecification><overrides><instanceType>")
          .append(o.instanceTypeAsString())
          .append("</instanceType><availabilityZone>")
          .append(o.availabilityZone())
          .append("</availabilityZone><subnetId>")
          .append(o.subnetId())
          .append("</subnetId></overrides></launchTemplateAndOverrides><lifecycle>")
          .append(e.lifecycleAsString())
          .append("</lifecycle><errorCode>")
          .append(e.errorCode())
          .append("</errorCode><errorMessage>")
          .append(e.errorMessage())
          .append("</errorMessage></item>");
    }
    xml.append("</errorSet><fleetInstanceSet/></CreateFleetResponse>");
    return Optional.of(new ByteArrayInputStream(xml.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /**
   * moto launches a fleet's spot instances in the VPC's default security group and reports none for
   * on-demand ones; EC2 puts both in the launch template's groups, which drift compares.
   */
  private void applyLaunchTemplateSecurityGroups(CreateFleetRequest req, CreateFleetResponse r) {
    Ec2Client ec2 = offeringsClient.get();
    if (ec2 == null || req.launchTemplateConfigs().isEmpty()) {
      return;
    }
    Map<String, List<String>> groups = new java.util.HashMap<>();
    for (var fleet : r.instances()) {
      var spec =
          fleet.launchTemplateAndOverrides() != null
                  && fleet.launchTemplateAndOverrides().launchTemplateSpecification() != null
              ? fleet.launchTemplateAndOverrides().launchTemplateSpecification()
              : null;
      String name =
          spec != null && spec.launchTemplateName() != null
              ? spec.launchTemplateName()
              : req.launchTemplateConfigs()
                  .get(0)
                  .launchTemplateSpecification()
                  .launchTemplateName();
      if (name == null) {
        continue;
      }
      List<String> want =
          groups.computeIfAbsent(
              name,
              n ->
                  ec2
                      .describeLaunchTemplateVersions(
                          x -> x.launchTemplateName(n).versions("$Latest"))
                      .launchTemplateVersions()
                      .stream()
                      .findFirst()
                      .map(v -> v.launchTemplateData().securityGroupIds())
                      .orElse(List.of()));
      if (want.isEmpty()) {
        continue;
      }
      for (String id : fleet.instanceIds()) {
        ec2.modifyInstanceAttribute(x -> x.instanceId(id).groups(want));
      }
    }
  }

  @Override
  public SdkResponse modifyResponse(
      Context.ModifyResponse context, ExecutionAttributes attributes) {
    if (context.response() instanceof CreateFleetResponse r
        && !Boolean.TRUE.equals(attributes.getAttribute(ALL_FAILED))
        && context.request() instanceof CreateFleetRequest req) {
      applyLaunchTemplateSecurityGroups(req, r);
      List<CreateFleetError> failed = attributes.getAttribute(FAILED);
      if (failed != null && !failed.isEmpty()) {
        List<CreateFleetError> errors = new ArrayList<>(r.errors());
        errors.addAll(failed);
        return r.toBuilder().errors(errors).build();
      }
    }
    if (context.response() instanceof DescribeSpotPriceHistoryResponse r) {
      List<SpotPrice> out = new ArrayList<>();
      for (SpotPrice p : r.spotPriceHistory()) {
        var t = prices.get(p.instanceTypeAsString());
        if (t.isEmpty()) {
          continue;
        }
        Optional<Offering> spot =
            t.get().offerings().stream().filter(o -> o.capacityType().equals("spot")).findFirst();
        if (spot.isEmpty() || !spot.get().available()) {
          continue;
        }
        // Zones differ a little, as they do on EC2: +1% per zone letter after 'a'.
        char z = p.availabilityZone().charAt(p.availabilityZone().length() - 1);
        double price = spot.get().price() * (1 + 0.01 * Math.max(0, z - 'a'));
        out.add(
            p.toBuilder().spotPrice(String.format(java.util.Locale.ROOT, "%.6f", price)).build());
      }
      return r.toBuilder().spotPriceHistory(out).build();
    }
    return context.response();
  }
}
