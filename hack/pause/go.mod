module karpenter-java.local/pause

go 1.22
