/** The EC2 emulator setup the demo and the ITs share: moto plus the cloud realism it lacks. */
package dev.karpenter.cloudprovider.aws.emulator;
