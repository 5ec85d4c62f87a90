/**
 * The EC2 instance-type catalog: real instance data, Karpenter-exact labels, capacity, allocatable
 * and prices, derived per EC2NodeClass settings.
 */
package dev.karpenter.cloudprovider.aws.catalog;
