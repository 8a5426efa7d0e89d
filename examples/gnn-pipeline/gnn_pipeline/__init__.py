"""Tech Research's graph-learning pipeline as a Ray job: tables -> graph (Ray Data) ->
standardised features (Ray Data) -> a PyG model trained with Ray Train's TorchTrainer ->
batch inference over every node (Ray Data) -> evaluation against a majority-class baseline.

Only code that Ray runs on the cluster imports torch, so the driver runs on an image without it.
"""
