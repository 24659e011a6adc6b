#!/usr/bin/env bash
# README command 1: install what is needed, build, register Fashion-MNIST as the dataset
# mnist-dataset, and train the seed's model (the Azure ML sample's Keras MLP) on it with the
# sample's arguments — submitted as a tracked job
# (examples/keras-mnist/job.yml) to the local compute target of the workspace ./ws (created on
# first use; GLIA_WORKSPACE overrides). Extra arguments go to `glia job submit`, e.g.
#   bash scripts/train-seed.sh --set inputs.epochs=2
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
GLIA=$PWD/build/bin/glia
export GLIA_WORKSPACE=${GLIA_WORKSPACE:-$PWD/ws}
[ -f "$GLIA_WORKSPACE/.glia/config.json" ] || "$GLIA" workspace init "$GLIA_WORKSPACE"
# The seed's Dataset.File.from_files(...).register('mnist-dataset', create_new_version=True):
# identical files again keep the current version.
"$GLIA" dataset create --name mnist-dataset --description "training and test dataset" \
  --path /usr/share/datasets/fashion-mnist/
RUN=$("$GLIA" job submit -f examples/keras-mnist/job.yml -o json "$@" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
echo "Submitted $RUN; streaming its output (Ctrl-C stops following, not the job)"
rc=0
"$GLIA" job stream "$RUN" || rc=$?
echo
"$GLIA" job show "$RUN"
cat <<MSG

Workspace:  $GLIA_WORKSPACE
Metrics:    $GLIA run metrics $RUN        (add --chart metrics.png to draw them)
Files:      $GLIA run files $RUN          (the 'Accuracy vs Loss' image, logs, outputs)
Dataset:    $GLIA dataset show mnist-dataset  (its files, hashes and the runs that used it)
Download:   $GLIA run download $RUN -o ./downloaded
MSG
# The seed's run.register_model(model_name='keras-mnist', model_path='outputs/model'), with the
# final test accuracy as a property.
if [ "$rc" = 0 ]; then
  ACC=$("$GLIA" job show "$RUN" -o json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["metrics"]["Final test accuracy"]["value"])')
  VERSION=$("$GLIA" model register --name keras-mnist --run "$RUN" --path outputs/model \
    --tag framework=keras --property accuracy="$ACC" -o json |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
  echo "Model:      keras-mnist:$VERSION  (registered from outputs/model)"
  echo "            $GLIA model download keras-mnist:$VERSION -o ./model"
  echo "            $GLIA predict --model keras-mnist:$VERSION --input FILE --verify"
fi
exit "$rc"
