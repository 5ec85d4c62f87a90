package dev.karpenter.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.GpuDeviceInfo;
import software.amazon.awssdk.services.ec2.model.InstanceTypeInfo;

@Tag("moto")
@ExtendWith(MotoExtension.class)
class MotoIT {

  @Test
  void describeInstanceTypesReportsTheA10gGpuOfG5Xlarge(Ec2Client ec2) {
    InstanceTypeInfo g5 =
        ec2.describeInstanceTypes(r -> r.instanceTypesWithStrings("g5.xlarge"))
            .instanceTypes()
            .getFirst();

    GpuDeviceInfo gpu = g5.gpuInfo().gpus().getFirst();
    assertEquals("NVIDIA", gpu.manufacturer());
    assertEquals("A10G", gpu.name());
    assertEquals(1, gpu.count());
    assertEquals(4, g5.vCpuInfo().defaultVCpus());
  }
}
