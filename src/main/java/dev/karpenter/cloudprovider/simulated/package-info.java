/**
 * A simulated EC2 built from the catalog, and its node-class controller; runs without an AWS
 * account.
 */
package dev.karpenter.cloudprovider.simulated;
