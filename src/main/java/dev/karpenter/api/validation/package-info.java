/**
 * Offline validation of manifests against the generated CRDs' OpenAPI schema and CEL rules, exactly
 * as the API server does.
 */
package dev.karpenter.api.validation;
