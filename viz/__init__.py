"""Pure figure builders for the Glyffuser Explorer.

Each function takes data (arrays, numbers) and returns a Plotly ``go.Figure`` or a
matplotlib ``Figure`` built through the object API. Nothing here imports Gradio, holds
state, or does the maths: the numbers come from :mod:`glyffuser`.
"""
