"""Docstring pieces shared by the NeighborAttention estimators."""

from .._docstrings import DOC_PIECES

_COMMON_PARAMETERS = """\
    n_neighbors : int, default=16
        Number of nearest training rows each row attends to (its context);
        at most the number of training rows minus one.
    embed_dim : int, default=32
        Width of the row encoding, the keys, the values and the context
        vector.
    weights : {"attention", "uniform", "barycentric"}, default="attention"
        How the context rows are weighted: ``"attention"`` learns the weights
        (softmax of minus the squared distance between learned keys, as
        TabR); ``"uniform"`` averages them; ``"barycentric"`` uses LLE's
        reconstruction weights of the row from its context rows in the
        input space of the retrieval. The last two are baselines.
    dropout : float, default={dropout_default}
        Share of the row's own encoding dropped (during training only) where
        the head reads it, so that the head learns from the context rather
        than memorising the training rows through their encodings.
    scale_retrieval : bool or "auto", default="auto"
        The input space the nearest training rows are found in. True: every
        column standardised (every column counts equally, for tables whose
        columns have different units; the results do not depend on the
        columns' scales). False: the columns in their own units (for columns
        in one unit, such as pixel intensities, where rarely used columns
        would otherwise weigh as much as the others), centred and divided by
        one factor common to all of them (a power of two near the root mean
        square of their standard deviations), so that a global scale of the
        data changes nothing. ``"auto"`` searches both and keeps the one
        where a distance-kernel vote of each training row's neighbours
        (leave-one-out: a row is never its own neighbour; at the best of the
        kernel's bandwidths) predicts the training targets better; the
        choice is ``scale_retrieval_``. Its cost is a second neighbour
        search of the training rows and two leave-one-out vote evaluations
        per ``fit``. Its choice depends on the columns' units, as choosing
        ``n_neighbors`` by cross-validation depends on the data: rescaling
        one column can change the space kept (a column in large units
        dominates the space as given, whose vote then predicts worse and
        the standardised space is kept). The network always sees
        standardised columns.
    retrieval : {"input", "learned"}, default="input"
        The space the nearest training rows are searched in. ``"input"``:
        the input space (as ``scale_retrieval`` says), once per ``fit``.
        ``"learned"``: the space of the network's keys, where the attention
        compares rows: training starts from the input-space neighbours, the
        training rows' neighbours are searched again by their current keys
        every ``retrieval_refresh`` epochs, and new rows are searched by
        their keys among the final keys of the training rows. Either way a
        row never attends to a training row identical to it in the input
        space.
    retrieval_refresh : int, default=10
        Epochs between two searches of the training rows' neighbours in the
        learned space (``retrieval="learned"`` only); each costs one
        encoding and one neighbour search of all training rows.
    categorical_features : "from_dtype", array-like or None, \
default="from_dtype"
        Which columns are categorical, as for
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
        ``"from_dtype"`` takes the category, object and string columns of a
        DataFrame (a numpy array has none); or a boolean mask, integer
        indices or column names; None for none. Categorical columns are
        one-hot encoded for the network and the retrieval (two rows that
        differ in one category are one standardised unit apart); a category
        unseen in ``fit`` or missing is all zeros. Missing numeric values
        (NaN) are replaced by the column's mean, with an indicator column for
        every numeric column that had missing values in ``fit``.
    neighbors_algorithm : {"auto", "brute", "kd_tree", "ball_tree", \
"hnswlib"}, default="auto"
        How the nearest training rows are found (exact; ``"hnswlib"``
        approximate, an optional dependency), through the neighbours seam.
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    {learning_rate_init}
    max_iter : int, default=100
        Maximum number of epochs.
    tol : float, default=1e-4
        Improvement of the loss (or validation score) that counts.
    n_iter_no_change : int, default=10
        Stop after this many epochs without an improvement of ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (stratified for
        classes), stop on their score (accuracy or R², each held-out row
        predicted from its context without its own target) and keep the
        best weights. The held-out rows stay in the other rows' context.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping.
    shuffle : bool, default=True
        Whether to shuffle the rows at every epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights (on the new training rows,
        which become the new context; ``embed_dim``, ``weights``, the task
        and the classes or number of targets must not change).
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, shuffling and validation split.
    verbose : bool or int, default=False
        Print one line per epoch.
"""


_ATTRIBUTES = """\
    scale_retrieval_ : bool
        Whether the neighbours were searched in the standardised space (the
        choice of ``scale_retrieval="auto"``, else its value).
"""


_REFERENCES = """\
    .. [1] Y. Gorishniy, I. Rubachev, N. Kartashev, D. Shlenskii, A. Kotelnikov
       and A. Babenko, "TabR: Tabular Deep Learning Meets Nearest Neighbors",
       ICLR 2024 (arXiv:2307.14338, 2023).
    .. [2] S. Roweis and L. Saul, "Nonlinear Dimensionality Reduction by
       Locally Linear Embedding", Science 290, 2000.
"""


def fill_neighbor_doc(cls, dropout="0.2"):
    doc = cls.__doc__
    doc = doc.replace("    {common_parameters}\n", _COMMON_PARAMETERS)
    doc = doc.replace("{dropout_default}", dropout)
    doc = doc.replace("    {learning_rate_init}\n", DOC_PIECES["learning_rate_init"])
    doc = doc.replace(
        "    {common_attributes}\n", _ATTRIBUTES + DOC_PIECES["training_attributes"]
    )
    doc = doc.replace("    {references}\n", _REFERENCES)
    cls.__doc__ = doc
    return cls
