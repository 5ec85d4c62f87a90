/** The AWS cloud provider: EC2NodeClass resolution, launch templates, CreateFleet, pricing. */
package dev.karpenter.cloudprovider.aws;
