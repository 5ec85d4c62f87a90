package dev.karpenter.cloudprovider.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.karpenter.api.v1.Taint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UserDataAndInterruptionTest {
  static final UserData.Bootstrap BOOT =
      new UserData.Bootstrap(
          "my-cluster",
          "https://api.example",
          "Q0E=",
          "10.100.0.0/16",
          null,
          Map.of("karpenter.sh/nodepool", "gpu", "karpenter.sh/capacity-type", "spot"),
          List.of(new Taint("nvidia.com/gpu", "true", Taint.Effect.NoSchedule)));

  @Test
  void al2023MergesTheUsersScriptBeforeKarpentersNodeConfig() {
    String out = UserData.al2023(BOOT, "#!/bin/bash\necho GPU node bootstrap\n");
    assertTrue(
        out.startsWith("MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"//\""), out);
    int script = out.indexOf("Content-Type: text/x-shellscript");
    int nodeConfig = out.indexOf("Content-Type: application/node.eks.aws");
    assertTrue(script > 0 && nodeConfig > script, out);
    assertTrue(out.contains("echo GPU node bootstrap"), out);
    assertTrue(
        out.contains("    name: \"my-cluster\"\n    apiServerEndpoint: \"https://api.example\""),
        out);
    assertTrue(
        out.contains("\"--node-labels=karpenter.sh/capacity-type=spot,karpenter.sh/nodepool=gpu\""),
        out);
    assertTrue(out.contains("\"--register-with-taints=nvidia.com/gpu=true:NoSchedule\""), out);
    assertTrue(out.endsWith("--//--\n"), out);
  }

  @Test
  void al2023KeepsTheUsersOwnMimeParts() {
    String user =
        "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"BOUNDARY\"\n\n--BOUNDARY\n"
            + "Content-Type: application/node.eks.aws\n\napiVersion: node.eks.aws/v1alpha1\nkind: NodeConfig\n"
            + "spec:\n  kubelet:\n    config:\n      shutdownGracePeriod: 30s\n\n--BOUNDARY\n"
            + "Content-Type: text/x-shellscript\n\n#!/bin/bash\necho two\n\n--BOUNDARY--\n";
    var parts = UserData.userParts(user);
    assertEquals(2, parts.size());
    assertEquals("application/node.eks.aws", parts.get(0)[0]);
    assertTrue(parts.get(0)[1].contains("shutdownGracePeriod: 30s"));
    assertEquals("text/x-shellscript", parts.get(1)[0]);
    String out = UserData.al2023(BOOT, user);
    assertEquals(3, out.split("\n--//\n", -1).length - 1 + 0, out);
  }

  @Test
  void bottlerocketIsTomlWithLabelsAndTaints() {
    String out = UserData.bottlerocket(BOOT, "[settings.host-containers.admin]\nenabled = true");
    assertTrue(
        out.startsWith(
            "[settings.host-containers.admin]\nenabled = true\n\n[settings.kubernetes]\n"),
        out);
    assertTrue(out.contains("cluster-name = \"my-cluster\""), out);
    assertTrue(
        out.contains(
            "[settings.kubernetes.node-labels]\n\"karpenter.sh/capacity-type\" = \"spot\""),
        out);
    assertTrue(
        out.contains(
            "[settings.kubernetes.node-taints]\n\"nvidia.com/gpu\" = [\"true:NoSchedule\"]"),
        out);
  }

  @Test
  void interruptionMessagesAreClassifiedAsUpstreamAndMalformedOnesAreUnknown() {
    assertEquals(
        new Interruption.Parsed("spot_interrupted", List.of("i-0abc")),
        Interruption.parse(
            "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Spot Instance Interruption Warning\","
                + "\"detail\":{\"instance-id\":\"i-0abc\",\"instance-action\":\"terminate\"}}"));
    assertEquals(
        "rebalance_recommendation",
        Interruption.parse(
                "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Instance Rebalance Recommendation\",\"detail\":{\"instance-id\":\"i-1\"}}")
            .kind());
    assertEquals(
        "instance_stopped",
        Interruption.parse(
                "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{\"instance-id\":\"i-1\",\"state\":\"stopping\"}}")
            .kind());
    assertEquals(
        "instance_terminated",
        Interruption.parse(
                "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{\"instance-id\":\"i-1\",\"state\":\"terminated\"}}")
            .kind());
    assertEquals(
        "no_op",
        Interruption.parse(
                "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Instance State-change Notification\",\"detail\":{\"instance-id\":\"i-1\",\"state\":\"running\"}}")
            .kind());
    assertEquals(
        new Interruption.Parsed("scheduled_change", List.of("i-1", "i-2")),
        Interruption.parse(
            "{\"source\":\"aws.health\",\"detail-type\":\"AWS Health Event\",\"detail\":{\"eventTypeCategory\":\"scheduledChange\","
                + "\"affectedEntities\":[{\"entityValue\":\"i-1\"},{\"entityValue\":\"i-2\"}]}}"));
    assertEquals("unknown", Interruption.parse("not json {").kind());
    assertEquals("unknown", Interruption.parse("[1,2]").kind());
    assertEquals(
        "unknown",
        Interruption.parse(
                "{\"source\":\"aws.ec2\",\"detail-type\":\"EC2 Spot Instance Interruption Warning\",\"detail\":{}}")
            .kind());
  }

  @Test
  void ebsSizesAreWholeGibibytes() {
    assertEquals(200, LaunchTemplates.gib("200Gi"));
    assertEquals(1024, LaunchTemplates.gib("1Ti"));
    assertEquals(94, LaunchTemplates.gib("100G"));
  }

  @Test
  void onDemandPricesAreReadFromPriceListEntries() {
    Map<String, Double> out = new java.util.HashMap<>();
    AwsCatalog.parsePrice(
        "{\"product\":{\"attributes\":{\"instanceType\":\"g5.xlarge\"}},\"terms\":{\"OnDemand\":{\"A\":"
            + "{\"priceDimensions\":{\"B\":{\"pricePerUnit\":{\"USD\":\"1.0060000000\"}}}}}}}",
        out);
    AwsCatalog.parsePrice("garbage", out);
    assertEquals(Map.of("g5.xlarge", 1.006), out);
  }
}
