package dev.karpenter.api.v1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** A NodeClaim: one node Karpenter launches, from request to instance to registered Node. */
@Group(NodePool.GROUP)
@Version("v1")
@Kind("NodeClaim")
@Plural("nodeclaims")
@Singular("nodeclaim")
@Categories("karpenter")
@AdditionalPrinterColumn(
    name = "Type",
    jsonPath = ".metadata.labels.node\\.kubernetes\\.io/instance-type",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Capacity",
    jsonPath = ".metadata.labels.karpenter\\.sh/capacity-type",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Zone",
    jsonPath = ".metadata.labels.topology\\.kubernetes\\.io/zone",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(
    name = "Node",
    jsonPath = ".status.nodeName",
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
    name = "ImageID",
    jsonPath = ".status.imageID",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "ID",
    jsonPath = ".status.providerID",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "NodePool",
    jsonPath = ".metadata.labels.karpenter\\.sh/nodepool",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "NodeClass",
    jsonPath = ".spec.nodeClassRef.name",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Drifted",
    jsonPath = ".status.conditions[?(@.type==\"Drifted\")].status",
    type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
public class NodeClaim extends CustomResource<NodeClaimSpec, NodeClaimStatus> {}
