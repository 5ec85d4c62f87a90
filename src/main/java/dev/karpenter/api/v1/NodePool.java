package dev.karpenter.api.v1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A NodePool: the constraints and limits of the nodes launched for pending pods, and how they may
 * be disrupted. Cluster-scoped.
 */
@Group(NodePool.GROUP)
@Version("v1")
@Kind("NodePool")
@Plural("nodepools")
@Singular("nodepool")
@Categories("karpenter")
@AdditionalPrinterColumn(
    name = "NodeClass",
    jsonPath = ".spec.template.spec.nodeClassRef.name",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Nodes",
    jsonPath = ".status.nodes",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Ready",
    jsonPath = ".status.conditions[?(@.type==\"Ready\")].status",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Age",
    jsonPath = ".metadata.creationTimestamp",
    type = AdditionalPrinterColumn.Type.DATE)
@AdditionalPrinterColumn(
    name = "Weight",
    jsonPath = ".spec.weight",
    type = AdditionalPrinterColumn.Type.INTEGER,
    priority = 1)
@AdditionalPrinterColumn(
    name = "CPU",
    jsonPath = ".status.resources.cpu",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Memory",
    jsonPath = ".status.resources.memory",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
public class NodePool extends CustomResource<NodePoolSpec, NodePoolStatus> {
  public static final String GROUP = "karpenter.sh";
}
