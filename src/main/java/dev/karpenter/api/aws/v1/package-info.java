/** The {@code karpenter.k8s.aws/v1} EC2NodeClass model. */
package dev.karpenter.api.aws.v1;
