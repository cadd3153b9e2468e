# The stcnn notebooks in JupyterLab with the GoNB (Go) kernel, running GoMLX
# on its XLA backend with CUDA.
#
#   docker build -t stcnn .
#   docker run --gpus all -p 8888:8888 stcnn
#
# then open the http://127.0.0.1:8888/lab?token=... address the container
# prints. The notebooks are in notebooks/ of the project copy at
# /home/jupyter/stcnn; each starts with the cell that builds against that
# copy, and GOMLX_BACKEND=xla:cuda makes every cell run on the GPU (the
# notebooks' "paper" size switch is meant for this image).
#
# CPU-only image (XLA's CPU plugin on an Ubuntu base, no CUDA):
#
#   docker build -t stcnn-cpu --build-arg BASE_IMAGE=ubuntu:24.04 \
#       --build-arg PJRT_PLUGIN=cpu --build-arg GOMLX_BACKEND=xla:cpu .
#   docker run -p 8888:8888 stcnn-cpu
#
# (PJRT_PLUGIN=none with GOMLX_BACKEND=go gives the embedded pure-Go backend.)
# CUDA 13 instead of 12: --build-arg BASE_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04
# --build-arg PJRT_PLUGIN=cuda13 (needs an NVIDIA driver >= 580 on the host).
#
# Building needs the internet: Go from go.dev, Go modules from the module
# proxy, Ubuntu packages, JupyterLab from PyPI, the PJRT plugin and NVIDIA
# libraries from PyPI (JAX's wheels) or GitHub, CIFAR-10 from its authors'
# site (skip it with --build-arg CIFAR10=0). Running needs none.
#
# notebooks/dockerfile_test.go checks that every COPY source exists and that
# the notebook tools are installed by scripts/install-notebook-tools.sh (the
# script CI and the README use), not by commands of this file's own.

ARG BASE_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
FROM ${BASE_IMAGE}

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV DEBIAN_FRONTEND=noninteractive

# System packages: a C toolchain (go-xla's PJRT loader uses cgo), Python for
# JupyterLab, and the Jupyter packages of scripts/install-notebook-tools.sh
# (APT_PACKAGES there: jupyter-nbconvert jupyter-client), so that the
# script's apt step finds them installed when it runs as the user below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl git gcc libc6-dev \
       python3 python3-venv jupyter-nbconvert jupyter-client \
    && rm -rf /var/lib/apt/lists/*

# Go: the version go.mod asks for, and GOTOOLCHAIN naming it as the
# project's scripts do (the go command then never fetches another one).
ARG GO_VERSION=1.27.3
ENV GOTOOLCHAIN=go${GO_VERSION}
RUN curl -fsSL "https://go.dev/dl/go${GO_VERSION}.linux-amd64.tar.gz" | tar -xz -C /usr/local \
    && /usr/local/go/bin/go version

# JupyterLab, the browser front end (Debian/Ubuntu only package the classic
# notebook); the headless runner of scripts/notebooks.sh stays /usr/bin/jupyter.
ARG JUPYTERLAB_SPEC="jupyterlab>=4.2,<5"
RUN python3 -m venv /opt/jupyterlab \
    && /opt/jupyterlab/bin/pip install --no-cache-dir "${JUPYTERLAB_SPEC}"

# The user Jupyter runs as (not root), owning the project copy ~/stcnn.
RUN useradd --create-home --uid 1001 --shell /bin/bash jupyter \
    && install -d -o jupyter /home/jupyter/stcnn
ENV HOME=/home/jupyter \
    GOPATH=/home/jupyter/go \
    PATH=/home/jupyter/go/bin:/usr/local/go/bin:/opt/jupyterlab/bin:${PATH}

# The tools module first (GoNB, goimports, gopls, the PJRT installer), so that
# the slow layers below survive edits of the project.
WORKDIR /home/jupyter/stcnn
COPY --chown=jupyter tools tools

# The XLA PJRT plugin, fetched with go-xla's installer (tools/cmd/pjrt-install)
# into /usr/local/lib/go-xla, where go-xla and gomlx_backend look for it. The
# CUDA plugin brings its NVIDIA libraries (from JAX's wheels) into
# /usr/local/lib/go-xla/nvidia; the host only needs its driver.
ARG PJRT_PLUGIN=cuda12
ARG PJRT_VERSION=latest
RUN if [ "${PJRT_PLUGIN}" != none ]; then \
      cd tools && GOPATH=/tmp/gopath GOCACHE=/tmp/gocache go run ./cmd/pjrt-install \
        -plugin "${PJRT_PLUGIN}" -version "${PJRT_VERSION}" -path /usr/local/lib/go-xla \
      && rm -rf /tmp/gopath /tmp/gocache; \
    fi

USER jupyter

# GoNB, goimports and gopls from tools/go.mod, and the kernel spec, by the
# same script CI uses (its apt step finds the packages installed above).
# HTML errors in the browser; gopls for completion and hover.
COPY --chown=jupyter scripts/install-notebook-tools.sh scripts/install-notebook-tools.sh
RUN STCNN_INSTALL_GOPLS=1 STCNN_GONB_RAW_ERROR=0 ./scripts/install-notebook-tools.sh

# The project.
COPY --chown=jupyter go.mod go.sum tools.go README.md ./
RUN go mod download
COPY --chown=jupyter cmd cmd
COPY --chown=jupyter datasets datasets
COPY --chown=jupyter gomlx_backend gomlx_backend
COPY --chown=jupyter internal internal
COPY --chown=jupyter reproductions reproductions
COPY --chown=jupyter stcnn stcnn
COPY --chown=jupyter scripts scripts
COPY --chown=jupyter notebooks notebooks
# Compile everything once, so the first notebook cell only links.
RUN go build ./... && go vet ./notebooks/...

# CIFAR-10 (binary version, md5-checked) where datasets.CIFAR10Dir finds it
# for a checkout at ~/stcnn: ~/shared/datasets/cifar-10-batches-bin, as in
# the project's own layout. MNIST comes with the Go modules (GoMNIST).
ARG CIFAR10=1
RUN if [ "${CIFAR10}" = 1 ]; then \
      mkdir -p "${HOME}/shared/datasets" \
      && curl -fsSL https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz -o /tmp/cifar-10-binary.tar.gz \
      && echo "c32a1d4ab5d03f1284b67883e8d87530  /tmp/cifar-10-binary.tar.gz" | md5sum -c - \
      && tar -xzf /tmp/cifar-10-binary.tar.gz -C "${HOME}/shared/datasets" \
      && rm /tmp/cifar-10-binary.tar.gz; \
    fi

# The backend every notebook cell uses (gomlx_backend honours GOMLX_BACKEND).
ARG GOMLX_BACKEND=xla:cuda
ENV GOMLX_BACKEND=${GOMLX_BACKEND}

EXPOSE 8888
WORKDIR /home/jupyter/stcnn/notebooks
CMD ["jupyter", "lab", "--ip=0.0.0.0", "--port=8888", "--no-browser", "--notebook-dir=/home/jupyter/stcnn/notebooks"]
