/**
 * The seam through which a cloud provider contributes to the operator: its {@code CloudProvider}
 * plus the controllers and background loops only it knows how to run.
 */
package dev.karpenter.cloudprovider.module;
