/** CRD generation support: post-processing of the generated CustomResourceDefinitions. */
package dev.karpenter.api;
