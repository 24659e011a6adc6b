#!/usr/bin/env python3
"""PyTorch peer, tuned: the Fashion-MNIST CNN of examples/keras-cnn, eager training loop.

Conv2d(1, 32, 3, bias=False) -> BatchNorm2d -> ReLU -> MaxPool2d(2) -> Conv2d(32, 64, 3,
bias=False) -> BatchNorm2d -> ReLU -> MaxPool2d(2) -> Flatten -> Linear(1600, 128) -> ReLU ->
Dropout(0.3) -> Linear(128, 10), nn.CrossEntropyLoss (softmax folded into the loss: the same
function as softmax + categorical cross-entropy on one-hot labels), torch.optim.Adam(1e-3,
eps=1e-7 as Keras). Keras' initialisation (glorot_uniform kernels, zero biases) and Keras'
BatchNormalization constants (momentum 0.99 = torch momentum 0.01, epsilon 1e-3), so the
accuracy compares like for like. Tuning: set_num_threads(--threads), flush denormals,
channels_last memory format (oneDNN's NHWC convolutions), zero_grad(set_to_none=True), no
autograd anomaly detection (the default). torch.compile does not exist in Debian's torch 1.13
(the only CPU-only torch reachable here: bench/setup-peers.sh). Flatten order differs from
Keras' (C, H, W vs H, W, C): a permutation of the Dense weights, no effect on the function class.
Prints one JSON line; the median epoch time leaves out the first epoch.

Run with bench/.venv/bin/python (made by bench/setup-peers.sh).
"""
from common import (load_fashion_mnist, log, parse_args, report, set_thread_env, torch_fit,
                    torch_setup)

args = parse_args(__doc__.splitlines()[0], batch_size=64, epochs=5,
                  extra=[("--memory-format", dict(choices=["channels_last", "contiguous"],
                                                  default="channels_last")),
                         ("--freeze-base", dict(action="store_true"))])
set_thread_env(args.threads)  # before import: OpenMP/OpenBLAS read it at load
torch = torch_setup(args.threads, args.seed)
from torch import nn  # noqa: E402

# NCHW tensors; the batches go to channels_last memory (NHWC strides) as they are fed.
x_train, y_train, x_test, y_test = map(torch.from_numpy, load_fashion_mnist(args.data_folder, (1, 28, 28)))
data = (x_train, y_train, x_test, y_test)


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


model = nn.Sequential(
    nn.Conv2d(1, 32, 3, bias=False), bn(32), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(32, 64, 3, bias=False), bn(64), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(),
    nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
    nn.Dropout(0.3),
    nn.Linear(128, 10),
)
for m in model.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            nn.init.zeros_(m.bias)
if args.freeze_base:
    # Keras' frozen layers: no gradients for the convolutions and batch norms (so no backward
    # below the head), and the batch norms in inference mode even while training.
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)):
            for p in m.parameters():
                p.requires_grad_(False)
        if isinstance(m, nn.BatchNorm2d):
            m.train = lambda mode=True, m=m: nn.Module.train(m, False)
FORMAT = getattr(torch, args.memory_format.replace("contiguous", "contiguous_format"))
model = model.to(memory_format=FORMAT)
loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=0.001,
                             eps=1e-7)


def to_channels_last(x):
    return x.contiguous(memory_format=FORMAT)


epoch_seconds, test_accuracy, test_loss = torch_fit(model, loss_fn, optimizer, data, args,
                                                    to_channels_last)
log(f"torch {torch.__version__}, threads={torch.get_num_threads()}, "
    f"mkldnn={torch.backends.mkldnn.is_available()}")
report("torch", torch.__version__, args, len(x_train), epoch_seconds, test_accuracy, test_loss,
       warmup_epochs=1, model="cnn", memory_format=args.memory_format,
       frozen_base=args.freeze_base)
