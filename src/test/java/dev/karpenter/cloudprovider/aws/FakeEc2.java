package dev.karpenter.cloudprovider.aws;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.CreateFleetError;
import software.amazon.awssdk.services.ec2.model.CreateFleetInstance;
import software.amazon.awssdk.services.ec2.model.CreateFleetRequest;
import software.amazon.awssdk.services.ec2.model.CreateFleetResponse;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateRequest;
import software.amazon.awssdk.services.ec2.model.CreateLaunchTemplateResponse;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesResponse;
import software.amazon.awssdk.services.ec2.model.DescribeLaunchTemplatesRequest;
import software.amazon.awssdk.services.ec2.model.DescribeLaunchTemplatesResponse;
import software.amazon.awssdk.services.ec2.model.FleetLaunchTemplateOverridesRequest;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.paginators.DescribeInstancesIterable;

/**
 * An in-JVM EC2 for the provider's fleet logic: CreateFleet launches the lowest-priority override
 * that is not marked short of capacity and reports the short ones as InsufficientInstanceCapacity
 * errors, as EC2 does; launch templates are remembered by name.
 */
final class FakeEc2 implements Ec2Client {
  final List<CreateFleetRequest> fleets = new ArrayList<>();
  final List<CreateLaunchTemplateRequest> templates = new ArrayList<>();
  final Set<String> ice = new HashSet<>();
  final List<Instance> instances = new ArrayList<>();
  private final AtomicInteger ids = new AtomicInteger();

  @Override
  public CreateFleetResponse createFleet(CreateFleetRequest req) {
    fleets.add(req);
    String ct = req.targetCapacitySpecification().defaultTargetCapacityTypeAsString();
    List<CreateFleetError> errors = new ArrayList<>();
    record O(String lt, FleetLaunchTemplateOverridesRequest o) {}
    List<O> all = new ArrayList<>();
    req.launchTemplateConfigs()
        .forEach(
            c ->
                c.overrides()
                    .forEach(
                        o ->
                            all.add(
                                new O(c.launchTemplateSpecification().launchTemplateName(), o))));
    all.sort(Comparator.comparingDouble(x -> x.o().priority()));
    for (O x : all) {
      var o = x.o();
      if (ice.contains(ct + ":" + o.instanceTypeAsString() + ":" + o.availabilityZone())) {
        errors.add(
            CreateFleetError.builder()
                .errorCode("InsufficientInstanceCapacity")
                .errorMessage("no capacity")
                .launchTemplateAndOverrides(
                    l ->
                        l.overrides(
                            v ->
                                v.instanceType(o.instanceTypeAsString())
                                    .availabilityZone(o.availabilityZone())))
                .build());
        continue;
      }
      String id = String.format("i-%017d", ids.incrementAndGet());
      return CreateFleetResponse.builder()
          .fleetId("fleet-1")
          .errors(errors)
          .instances(
              CreateFleetInstance.builder()
                  .instanceIds(id)
                  .instanceType(o.instanceTypeAsString())
                  .lifecycle(ct)
                  .launchTemplateAndOverrides(
                      l ->
                          l.launchTemplateSpecification(s -> s.launchTemplateName(x.lt()))
                              .overrides(
                                  v ->
                                      v.instanceType(o.instanceTypeAsString())
                                          .availabilityZone(o.availabilityZone())
                                          .subnetId(o.subnetId())
                                          .imageId(o.imageId())))
                  .build())
          .build();
    }
    return CreateFleetResponse.builder().fleetId("fleet-1").errors(errors).build();
  }

  @Override
  public DescribeLaunchTemplatesResponse describeLaunchTemplates(DescribeLaunchTemplatesRequest r) {
    return DescribeLaunchTemplatesResponse.builder().build();
  }

  @Override
  public CreateLaunchTemplateResponse createLaunchTemplate(CreateLaunchTemplateRequest r) {
    templates.add(r);
    return CreateLaunchTemplateResponse.builder()
        .launchTemplate(
            t ->
                t.launchTemplateId("lt-" + templates.size())
                    .launchTemplateName(r.launchTemplateName()))
        .build();
  }

  @Override
  public DescribeInstancesResponse describeInstances(DescribeInstancesRequest r) {
    return DescribeInstancesResponse.builder()
        .reservations(res -> res.instances(instances))
        .build();
  }

  @Override
  public DescribeInstancesIterable describeInstancesPaginator(DescribeInstancesRequest r) {
    return new DescribeInstancesIterable(this, r);
  }

  @Override
  public String serviceName() {
    return "ec2";
  }

  @Override
  public void close() {}
}
