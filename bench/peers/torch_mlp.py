#!/usr/bin/env python3
"""PyTorch peer: the seed's MLP on Fashion-MNIST, idiomatic eager training loop.

nn.Sequential Linear(784,300)-ReLU-Linear(300,100)-ReLU-Linear(100,10) with
nn.CrossEntropyLoss (softmax folded into the loss: the same function as
softmax + categorical cross-entropy on one-hot labels), torch.optim.RMSprop
(lr=1e-3, alpha=0.9, eps=1e-7; note torch adds eps *outside* the sqrt,
Keras inside), torch's default init (not Keras' glorot_uniform / zero bias).
Each epoch: shuffled permutation, batch slices, no DataLoader; then
validation on the 10k test set (not timed). Prints one JSON line.

Run with bench/.venv/bin/python (made by bench/setup-peers.sh).
"""
from common import (load_fashion_mnist, log, parse_args, report, set_thread_env, torch_fit,
                    torch_setup)

args = parse_args(__doc__.splitlines()[0])
set_thread_env(args.threads)  # before import: OpenMP/OpenBLAS read it at load
torch = torch_setup(args.threads, args.seed)
from torch import nn  # noqa: E402

data = tuple(map(torch.from_numpy, load_fashion_mnist(args.data_folder)))

model = nn.Sequential(
    nn.Linear(784, 300), nn.ReLU(),
    nn.Linear(300, 100), nn.ReLU(),
    nn.Linear(100, 10),
)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
epoch_seconds, test_accuracy, test_loss = torch_fit(model, loss_fn, optimizer, data, args)
log(f"torch {torch.__version__}, threads={torch.get_num_threads()}")
report("torch", torch.__version__, args, len(data[0]), epoch_seconds, test_accuracy, test_loss)
