/**
 * The JOSDK runtime: wires the chosen cloud provider, its controllers and the core controllers,
 * leader election and the HTTP endpoints.
 */
package dev.karpenter.operator;
