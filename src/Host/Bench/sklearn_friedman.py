"""scikit-learn's MLPRegressor(64, 64), 20 epochs, on the Friedman #1 rows `bench tabular` wrote: prints fit seconds and test R².

Usage: python3 sklearn_friedman.py TRAIN.csv TEST.csv  (rows of x1..x10,y; no header)
"""
import sys
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score
from sklearn.neural_network import MLPRegressor

warnings.filterwarnings("ignore", category=ConvergenceWarning)  # 20 epochs is the recipe, not a failure to converge
train = np.loadtxt(sys.argv[1], delimiter=",", dtype=np.float32)
test = np.loadtxt(sys.argv[2], delimiter=",", dtype=np.float32)
model = MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=20, random_state=1)
start = time.perf_counter()
model.fit(train[:, :-1], train[:, -1])
seconds = time.perf_counter() - start
print(f"{seconds:.3f} {r2_score(test[:, -1], model.predict(test[:, :-1])):.5f}")
