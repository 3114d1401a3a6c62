"""The text-to-glyph model and how it is run.

    unet         the conditional U-Net and its checkpoint format
    text         the pretrained text encoder (all-MiniLM-L6-v2)
    text_cache   the text's share of the U-Net, computed once per run
    traced       the U-Net as a TorchScript graph for sampling
    batch_split  one batch as halves on the CPU's cores
    pipeline     text-to-glyph sampling (``glyffuser.load_pipeline()``)
    interpolate  a walk between two prompts: the text condition mixed on fixed noise
    defaults     the shipped model's sampling defaults, chosen by measurement
"""
