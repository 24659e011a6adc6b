#!/usr/bin/env bash
# The seed's training on real Fashion-MNIST for 2 epochs must reach >= 0.84 test accuracy.
source "$(dirname "$0")/lib.sh"
# Its own folder: glia-keras-mnist writes outputs/ (and checkpoints there) where it starts.
cd "$WORK"
BIN=$1
DATA=/usr/share/datasets/fashion-mnist
if [ ! -f "$DATA/train-images-idx3-ubyte.gz" ]; then
  echo "FAIL: $DATA is absent: scripts/install-deps.sh installs the Debian package dataset-fashion-mnist" >&2
  exit 1
fi
"$BIN" --data-folder "$DATA" --batch-size 50 --first-layer-neurons 300 --second-layer-neurons 100 \
  --learning-rate 0.001 --epochs 2 --seed 1 >"$WORK/out.txt"
cat "$WORK/out.txt" | grep -E '^(Epoch|1200/1200|Test)'
acc=$(sed -n 's/^Test accuracy: //p' "$WORK/out.txt")
awk -v a="$acc" 'BEGIN { exit !(a >= 0.84) }' || fail "test accuracy $acc < 0.84"
echo "PASS keras_mnist_fashion (test accuracy $acc)"
