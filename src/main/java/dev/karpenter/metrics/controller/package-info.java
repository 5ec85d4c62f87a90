/**
 * Controllers that publish cluster-wide gauges (NodePool usage and limits, node and pod counts)
 * from the cluster state.
 */
package dev.karpenter.metrics.controller;
