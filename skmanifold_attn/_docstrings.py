"""Docstring pieces shared by several public objects, written once.

A docstring names a piece by a line holding only ``{name}`` (indented like a
parameter entry); :func:`fill_doc` puts the piece's lines in its place.
"""

DOC_PIECES = {
    # The metrics of an (X, X_embedded) pair.
    "pair_parameters": """\
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows, or with ``metric='precomputed'`` their distance matrix, of
        shape (n_samples, n_samples).
    X_embedded : array-like of shape (n_samples, n_components)
        Their embedding (Euclidean distances).
    n_neighbors : int, default=5
        Neighbours considered, less than ``n_samples / 2``.
    metric : str or callable, default='euclidean'
        Distance between rows of ``X``: any metric of
        :class:`~sklearn.neighbors.NearestNeighbors`, or 'precomputed'.
""",
    # The neural estimators' step size and the divergence rule of the loop.
    "learning_rate_init": """\
    learning_rate_init : float, default=1e-3
        Adam's step size. Too large a step makes training diverge, and fit
        raises ValueError ("Training diverged") rather than return a model
        trained to nonsense: when a batch loss or a weight becomes
        non-finite, or when an epoch's mean loss exceeds the smaller of the
        first batch's loss and the best epoch mean by more than 100 times
        the larger of their magnitudes and 1. Healthy training stays far
        below that, even with one-row batches.
""",
    # The training loop's fitted attributes (attention estimators).
    "training_attributes": """\
    loss_curve_ : list of float
        Mean training loss of every epoch.
    validation_scores_ : list of float or None
        Validation score of every epoch (with ``early_stopping``).
    best_validation_score_ : float or None
        Best validation score (with ``early_stopping``).
    best_loss_ : float or None
        Smallest training loss (without ``early_stopping``).
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when they are all strings.
""",
    # NPE and LPP, whose neighbours come from the seam as LLE's do.
    "neighbors_algorithm": """\
    neighbors_algorithm : str, KNeighborsMixin, index or sparse matrix, \
            default='auto'
        How neighbours are found: as in :class:`LocallyLinearEmbedding`
        ('auto', 'brute', 'kd_tree', 'ball_tree' exact; 'hnswlib'
        approximate, with a fixed seed; a neighbours estimator; an object
        with ``build`` and ``query`` methods; or a precomputed sparse kNN
        distance graph of the training rows, the coordinates ``X`` still
        given to ``fit``).
""",
}


def fill_doc(obj):
    """Replace each ``{name}`` line of ``obj.__doc__`` by its piece."""
    doc = obj.__doc__
    for name, piece in DOC_PIECES.items():
        doc = doc.replace("    {" + name + "}\n", piece)
    obj.__doc__ = doc
    return obj
