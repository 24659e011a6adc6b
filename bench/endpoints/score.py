# The seed's scoring script (the Azure ML sample's score.py, facts in
# shared/reference/azureml-sample.md), as the Azure ML inference server runs it in
# bench/endpoints.sh: init() finds the registered model's folder with Model.get_model_path and
# loads model.json + model.h5 with Keras; run() returns the argmax of each row as a list.
import json
import os

import numpy as np
from keras.models import model_from_json

from azureml.core.model import Model


def init():
    global model
    model_root = Model.get_model_path('keras-mlp-mnist')
    # load json and create model
    with open(os.path.join(model_root, 'model.json'), 'r') as json_file:
        model_json = json_file.read()
    model = model_from_json(model_json)
    # load weights into new model
    model.load_weights(os.path.join(model_root, 'model.h5'))
    model.compile(loss='categorical_crossentropy', optimizer='rmsprop', metrics=['accuracy'])


def run(raw_data):
    data = np.array(json.loads(raw_data)['data'])
    # make prediction
    y_hat = np.argmax(model.predict(data), axis=1)
    return y_hat.tolist()
