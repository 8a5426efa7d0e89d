/**
 * Generated: KubeRay 1.7.0's RayCluster (ray.io/v1), from data/kuberay/1.7.0/crds/ray.io_rayclusters.yaml,
 * by `npm run gen:kuberay-types` (scripts/gen-kuberay-types.ts, json-schema-to-typescript).
 * Do not edit: change the pin (npm run kuberay:pin) or the script, and run the command again.
 */

export interface RayCluster {
  apiVersion?: string;
  kind?: string;
  /**
   * ObjectMeta: the CRD leaves it to the API server.
   */
  metadata?: {
    [k: string]: unknown;
  };
  spec?: RayClusterSpec;
  status?: RayClusterStatus;
}
export interface RayClusterSpec {
  authOptions?: {
    enableK8sTokenAuth?: boolean;
    mode?: "disabled" | "token";
    secretName?: string;
  };
  autoscalerOptions?: AutoscalerOptions;
  enableInTreeAutoscaling?: boolean;
  gcsFaultToleranceOptions?: {
    backend?: "redis" | "rocksdb";
    externalStorageNamespace?: string;
    redisAddress?: string;
    redisPassword?: {
      value?: string;
      valueFrom?: {
        configMapKeyRef?: {
          key: string;
          name?: string;
          optional?: boolean;
        };
        fieldRef?: {
          apiVersion?: string;
          fieldPath: string;
        };
        fileKeyRef?: {
          key: string;
          optional?: boolean;
          path: string;
          volumeName: string;
        };
        resourceFieldRef?: {
          containerName?: string;
          divisor?: number | string;
          resource: string;
        };
        secretKeyRef?: {
          key: string;
          name?: string;
          optional?: boolean;
        };
      };
    };
    redisUsername?: {
      value?: string;
      valueFrom?: {
        configMapKeyRef?: {
          key: string;
          name?: string;
          optional?: boolean;
        };
        fieldRef?: {
          apiVersion?: string;
          fieldPath: string;
        };
        fileKeyRef?: {
          key: string;
          optional?: boolean;
          path: string;
          volumeName: string;
        };
        resourceFieldRef?: {
          containerName?: string;
          divisor?: number | string;
          resource: string;
        };
        secretKeyRef?: {
          key: string;
          name?: string;
          optional?: boolean;
        };
      };
    };
    storage?: {
      accessModes?: string[];
      claimName?: string;
      deletionPolicy?: "DeleteWithCluster" | "Retain";
      size?: number | string;
      storageClassName?: string;
      subPath?: string;
    };
  };
  headGroupSpec: HeadGroupSpec;
  headServiceAnnotations?: {
    [k: string]: string;
  };
  historyServerOptions?: {
    collectorOptions?: {
      env?: EnvVar[];
      image?: string;
      imagePullPolicy?: string;
      resources?: ResourceRequirements;
    };
  };
  managedBy?: string;
  networkPolicy?: {
    head?: {
      egressRules?: {
        ports?: {
          endPort?: number;
          port?: number | string;
          protocol?: string;
        }[];
        to?: {
          ipBlock?: {
            cidr: string;
            except?: string[];
          };
          namespaceSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
          podSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
        }[];
      }[];
      ingressRules?: {
        from?: {
          ipBlock?: {
            cidr: string;
            except?: string[];
          };
          namespaceSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
          podSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
        }[];
        ports?: {
          endPort?: number;
          port?: number | string;
          protocol?: string;
        }[];
      }[];
    };
    mode?: "DenyAll" | "DenyAllIngress" | "DenyAllEgress";
    worker?: {
      egressRules?: {
        ports?: {
          endPort?: number;
          port?: number | string;
          protocol?: string;
        }[];
        to?: {
          ipBlock?: {
            cidr: string;
            except?: string[];
          };
          namespaceSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
          podSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
        }[];
      }[];
      ingressRules?: {
        from?: {
          ipBlock?: {
            cidr: string;
            except?: string[];
          };
          namespaceSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
          podSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
        }[];
        ports?: {
          endPort?: number;
          port?: number | string;
          protocol?: string;
        }[];
      }[];
    };
    workerGroups?: {
      egressRules?: {
        ports?: {
          endPort?: number;
          port?: number | string;
          protocol?: string;
        }[];
        to?: {
          ipBlock?: {
            cidr: string;
            except?: string[];
          };
          namespaceSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
          podSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
        }[];
      }[];
      groupName: string;
      ingressRules?: {
        from?: {
          ipBlock?: {
            cidr: string;
            except?: string[];
          };
          namespaceSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
          podSelector?: {
            matchExpressions?: {
              key: string;
              operator: string;
              values?: string[];
            }[];
            matchLabels?: {
              [k: string]: string;
            };
          };
        }[];
        ports?: {
          endPort?: number;
          port?: number | string;
          protocol?: string;
        }[];
      }[];
    }[];
  };
  rayVersion?: string;
  suspend?: boolean;
  tlsOptions?: {
    enabled?: boolean;
  };
  upgradeStrategy?: {
    type?: "Recreate" | "None";
  };
  workerGroupSpecs?: WorkerGroupSpec[];
}
export interface AutoscalerOptions {
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: {
    configMapRef?: {
      name?: string;
      optional?: boolean;
    };
    prefix?: string;
    secretRef?: {
      name?: string;
      optional?: boolean;
    };
  }[];
  idleTimeoutSeconds?: number;
  image?: string;
  imagePullPolicy?: string;
  resources?: ResourceRequirements;
  securityContext?: SecurityContext;
  upscalingMode?: "Default" | "Aggressive" | "Conservative";
  version?: "v1" | "v2";
  volumeMounts?: VolumeMount[];
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: {
      key: string;
      name?: string;
      optional?: boolean;
    };
    fieldRef?: {
      apiVersion?: string;
      fieldPath: string;
    };
    fileKeyRef?: {
      key: string;
      optional?: boolean;
      path: string;
      volumeName: string;
    };
    resourceFieldRef?: {
      containerName?: string;
      divisor?: number | string;
      resource: string;
    };
    secretKeyRef?: {
      key: string;
      name?: string;
      optional?: boolean;
    };
  };
}
export interface ResourceRequirements {
  claims?: {
    name: string;
    request?: string;
  }[];
  limits?: {
    [k: string]: number | string;
  };
  requests?: {
    [k: string]: number | string;
  };
}
export interface SecurityContext {
  allowPrivilegeEscalation?: boolean;
  appArmorProfile?: {
    localhostProfile?: string;
    type: string;
  };
  capabilities?: {
    add?: string[];
    drop?: string[];
  };
  privileged?: boolean;
  procMount?: string;
  readOnlyRootFilesystem?: boolean;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seLinuxOptions?: {
    level?: string;
    role?: string;
    type?: string;
    user?: string;
  };
  seccompProfile?: {
    localhostProfile?: string;
    type: string;
  };
  windowsOptions?: {
    gmsaCredentialSpec?: string;
    gmsaCredentialSpecName?: string;
    hostProcess?: boolean;
    runAsUserName?: string;
  };
}
export interface VolumeMount {
  mountPath: string;
  mountPropagation?: string;
  name: string;
  readOnly?: boolean;
  recursiveReadOnly?: string;
  subPath?: string;
  subPathExpr?: string;
}
export interface HeadGroupSpec {
  enableIngress?: boolean;
  headService?: {
    apiVersion?: string;
    kind?: string;
    metadata?: {
      annotations?: {
        [k: string]: string;
      };
      finalizers?: string[];
      labels?: {
        [k: string]: string;
      };
      name?: string;
      namespace?: string;
    };
    spec?: {
      allocateLoadBalancerNodePorts?: boolean;
      clusterIP?: string;
      clusterIPs?: string[];
      externalIPs?: string[];
      externalName?: string;
      externalTrafficPolicy?: string;
      healthCheckNodePort?: number;
      internalTrafficPolicy?: string;
      ipFamilies?: string[];
      ipFamilyPolicy?: string;
      loadBalancerClass?: string;
      loadBalancerIP?: string;
      loadBalancerSourceRanges?: string[];
      ports?: {
        appProtocol?: string;
        name?: string;
        nodePort?: number;
        port: number;
        protocol?: string;
        targetPort?: number | string;
      }[];
      publishNotReadyAddresses?: boolean;
      selector?: {
        [k: string]: string;
      };
      sessionAffinity?: string;
      sessionAffinityConfig?: {
        clientIP?: {
          timeoutSeconds?: number;
        };
      };
      trafficDistribution?: string;
      type?: string;
    };
    status?: {
      conditions?: {
        lastTransitionTime: string;
        message: string;
        observedGeneration?: number;
        reason: string;
        status: "True" | "False" | "Unknown";
        type: string;
      }[];
      loadBalancer?: {
        ingress?: {
          hostname?: string;
          ip?: string;
          ipMode?: string;
          ports?: {
            error: string;
            port: number;
            protocol: string;
          }[];
        }[];
      };
    };
  };
  ingressOptions?: {
    host?: string;
    path?: string;
    pathType?: "Exact" | "Prefix" | "ImplementationSpecific";
    tls?: {
      hosts?: string[];
      secretName?: string;
    }[];
  };
  labels?: {
    [k: string]: string;
  };
  rayStartParams?: {
    [k: string]: string;
  };
  resources?: {
    [k: string]: string;
  };
  serviceType?: string;
  template: PodTemplateSpec;
}
export interface PodTemplateSpec {
  metadata?: {
    annotations?: {
      [k: string]: string;
    };
    finalizers?: string[];
    labels?: {
      [k: string]: string;
    };
    name?: string;
    namespace?: string;
  };
  spec?: PodSpec;
}
export interface PodSpec {
  activeDeadlineSeconds?: number;
  affinity?: {
    nodeAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: {
        preference: NodeSelectorTerm;
        weight: number;
      }[];
      requiredDuringSchedulingIgnoredDuringExecution?: {
        nodeSelectorTerms: NodeSelectorTerm[];
      };
    };
    podAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: {
        podAffinityTerm: PodAffinityTerm;
        weight: number;
      }[];
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    };
    podAntiAffinity?: {
      preferredDuringSchedulingIgnoredDuringExecution?: {
        podAffinityTerm: PodAffinityTerm;
        weight: number;
      }[];
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    };
  };
  automountServiceAccountToken?: boolean;
  containers: Container[];
  dnsConfig?: {
    nameservers?: string[];
    options?: {
      name?: string;
      value?: string;
    }[];
    searches?: string[];
  };
  dnsPolicy?: string;
  enableServiceLinks?: boolean;
  ephemeralContainers?: {
    args?: string[];
    command?: string[];
    env?: EnvVar[];
    envFrom?: {
      configMapRef?: {
        name?: string;
        optional?: boolean;
      };
      prefix?: string;
      secretRef?: {
        name?: string;
        optional?: boolean;
      };
    }[];
    image?: string;
    imagePullPolicy?: string;
    lifecycle?: {
      postStart?: LifecycleHandler;
      preStop?: LifecycleHandler;
      stopSignal?: string;
    };
    livenessProbe?: Probe;
    name: string;
    ports?: ContainerPort[];
    readinessProbe?: Probe;
    resizePolicy?: {
      resourceName: string;
      restartPolicy: string;
    }[];
    resources?: ResourceRequirements;
    restartPolicy?: string;
    restartPolicyRules?: {
      action: string;
      exitCodes?: {
        operator: string;
        values?: number[];
      };
    }[];
    securityContext?: SecurityContext;
    startupProbe?: Probe;
    stdin?: boolean;
    stdinOnce?: boolean;
    targetContainerName?: string;
    terminationMessagePath?: string;
    terminationMessagePolicy?: string;
    tty?: boolean;
    volumeDevices?: {
      devicePath: string;
      name: string;
    }[];
    volumeMounts?: VolumeMount[];
    workingDir?: string;
  }[];
  hostAliases?: {
    hostnames?: string[];
    ip: string;
  }[];
  hostIPC?: boolean;
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostUsers?: boolean;
  hostname?: string;
  hostnameOverride?: string;
  imagePullSecrets?: {
    name?: string;
  }[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: {
    [k: string]: string;
  };
  os?: PodSchedulingGate;
  overhead?: {
    [k: string]: number | string;
  };
  preemptionPolicy?: string;
  priority?: number;
  priorityClassName?: string;
  readinessGates?: {
    conditionType: string;
  }[];
  resourceClaims?: {
    name: string;
    resourceClaimName?: string;
    resourceClaimTemplateName?: string;
  }[];
  resources?: ResourceRequirements;
  restartPolicy?: string;
  runtimeClassName?: string;
  schedulerName?: string;
  schedulingGates?: PodSchedulingGate[];
  schedulingGroup?: {
    podGroupName?: string;
  };
  securityContext?: {
    appArmorProfile?: {
      localhostProfile?: string;
      type: string;
    };
    fsGroup?: number;
    fsGroupChangePolicy?: string;
    runAsGroup?: number;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    seLinuxChangePolicy?: string;
    seLinuxOptions?: {
      level?: string;
      role?: string;
      type?: string;
      user?: string;
    };
    seccompProfile?: {
      localhostProfile?: string;
      type: string;
    };
    supplementalGroups?: number[];
    supplementalGroupsPolicy?: string;
    sysctls?: {
      name: string;
      value: string;
    }[];
    windowsOptions?: {
      gmsaCredentialSpec?: string;
      gmsaCredentialSpecName?: string;
      hostProcess?: boolean;
      runAsUserName?: string;
    };
  };
  serviceAccount?: string;
  serviceAccountName?: string;
  setHostnameAsFQDN?: boolean;
  shareProcessNamespace?: boolean;
  subdomain?: string;
  terminationGracePeriodSeconds?: number;
  tolerations?: Toleration[];
  topologySpreadConstraints?: {
    labelSelector?: {
      matchExpressions?: {
        key: string;
        operator: string;
        values?: string[];
      }[];
      matchLabels?: {
        [k: string]: string;
      };
    };
    matchLabelKeys?: string[];
    maxSkew: number;
    minDomains?: number;
    nodeAffinityPolicy?: string;
    nodeTaintsPolicy?: string;
    topologyKey: string;
    whenUnsatisfiable: string;
  }[];
  volumes?: Volume[];
}
export interface NodeSelectorTerm {
  matchExpressions?: {
    key: string;
    operator: string;
    values?: string[];
  }[];
  matchFields?: {
    key: string;
    operator: string;
    values?: string[];
  }[];
}
export interface PodAffinityTerm {
  labelSelector?: {
    matchExpressions?: {
      key: string;
      operator: string;
      values?: string[];
    }[];
    matchLabels?: {
      [k: string]: string;
    };
  };
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
  namespaceSelector?: {
    matchExpressions?: {
      key: string;
      operator: string;
      values?: string[];
    }[];
    matchLabels?: {
      [k: string]: string;
    };
  };
  namespaces?: string[];
  topologyKey: string;
}
export interface Container {
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  envFrom?: {
    configMapRef?: {
      name?: string;
      optional?: boolean;
    };
    prefix?: string;
    secretRef?: {
      name?: string;
      optional?: boolean;
    };
  }[];
  image?: string;
  imagePullPolicy?: string;
  lifecycle?: {
    postStart?: LifecycleHandler;
    preStop?: LifecycleHandler;
    stopSignal?: string;
  };
  livenessProbe?: Probe;
  name: string;
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  resizePolicy?: {
    resourceName: string;
    restartPolicy: string;
  }[];
  resources?: ResourceRequirements;
  restartPolicy?: string;
  restartPolicyRules?: {
    action: string;
    exitCodes?: {
      operator: string;
      values?: number[];
    };
  }[];
  securityContext?: SecurityContext;
  startupProbe?: Probe;
  stdin?: boolean;
  stdinOnce?: boolean;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  tty?: boolean;
  volumeDevices?: {
    devicePath: string;
    name: string;
  }[];
  volumeMounts?: VolumeMount[];
  workingDir?: string;
}
export interface LifecycleHandler {
  exec?: {
    command?: string[];
  };
  httpGet?: {
    host?: string;
    httpHeaders?: {
      name: string;
      value: string;
    }[];
    path?: string;
    port: number | string;
    scheme?: string;
  };
  sleep?: {
    seconds: number;
  };
  tcpSocket?: {
    host?: string;
    port: number | string;
  };
}
export interface Probe {
  exec?: {
    command?: string[];
  };
  failureThreshold?: number;
  grpc?: {
    port: number;
    service?: string;
  };
  httpGet?: {
    host?: string;
    httpHeaders?: {
      name: string;
      value: string;
    }[];
    path?: string;
    port: number | string;
    scheme?: string;
  };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  successThreshold?: number;
  tcpSocket?: {
    host?: string;
    port: number | string;
  };
  terminationGracePeriodSeconds?: number;
  timeoutSeconds?: number;
}
export interface ContainerPort {
  containerPort: number;
  hostIP?: string;
  hostPort?: number;
  name?: string;
  protocol?: string;
}
export interface PodSchedulingGate {
  name: string;
}
export interface Toleration {
  effect?: string;
  key?: string;
  operator?: string;
  tolerationSeconds?: number;
  value?: string;
}
export interface Volume {
  awsElasticBlockStore?: {
    fsType?: string;
    partition?: number;
    readOnly?: boolean;
    volumeID: string;
  };
  azureDisk?: {
    cachingMode?: string;
    diskName: string;
    diskURI: string;
    fsType?: string;
    kind?: string;
    readOnly?: boolean;
  };
  azureFile?: {
    readOnly?: boolean;
    secretName: string;
    shareName: string;
  };
  cephfs?: {
    monitors: string[];
    path?: string;
    readOnly?: boolean;
    secretFile?: string;
    secretRef?: {
      name?: string;
    };
    user?: string;
  };
  cinder?: {
    fsType?: string;
    readOnly?: boolean;
    secretRef?: {
      name?: string;
    };
    volumeID: string;
  };
  configMap?: {
    defaultMode?: number;
    items?: {
      key: string;
      mode?: number;
      path: string;
    }[];
    name?: string;
    optional?: boolean;
  };
  csi?: {
    driver: string;
    fsType?: string;
    nodePublishSecretRef?: {
      name?: string;
    };
    readOnly?: boolean;
    volumeAttributes?: {
      [k: string]: string;
    };
  };
  downwardAPI?: {
    defaultMode?: number;
    items?: {
      fieldRef?: {
        apiVersion?: string;
        fieldPath: string;
      };
      mode?: number;
      path: string;
      resourceFieldRef?: {
        containerName?: string;
        divisor?: number | string;
        resource: string;
      };
    }[];
  };
  emptyDir?: {
    medium?: string;
    sizeLimit?: number | string;
  };
  ephemeral?: {
    volumeClaimTemplate?: {
      metadata?: {
        annotations?: {
          [k: string]: string;
        };
        finalizers?: string[];
        labels?: {
          [k: string]: string;
        };
        name?: string;
        namespace?: string;
      };
      spec: {
        accessModes?: string[];
        dataSource?: {
          apiGroup?: string;
          kind: string;
          name: string;
        };
        dataSourceRef?: {
          apiGroup?: string;
          kind: string;
          name: string;
          namespace?: string;
        };
        resources?: {
          limits?: {
            [k: string]: number | string;
          };
          requests?: {
            [k: string]: number | string;
          };
        };
        selector?: {
          matchExpressions?: {
            key: string;
            operator: string;
            values?: string[];
          }[];
          matchLabels?: {
            [k: string]: string;
          };
        };
        storageClassName?: string;
        volumeAttributesClassName?: string;
        volumeMode?: string;
        volumeName?: string;
      };
    };
  };
  fc?: {
    fsType?: string;
    lun?: number;
    readOnly?: boolean;
    targetWWNs?: string[];
    wwids?: string[];
  };
  flexVolume?: {
    driver: string;
    fsType?: string;
    options?: {
      [k: string]: string;
    };
    readOnly?: boolean;
    secretRef?: {
      name?: string;
    };
  };
  flocker?: {
    datasetName?: string;
    datasetUUID?: string;
  };
  gcePersistentDisk?: {
    fsType?: string;
    partition?: number;
    pdName: string;
    readOnly?: boolean;
  };
  gitRepo?: {
    directory?: string;
    repository: string;
    revision?: string;
  };
  glusterfs?: {
    endpoints: string;
    path: string;
    readOnly?: boolean;
  };
  hostPath?: {
    path: string;
    type?: string;
  };
  image?: {
    pullPolicy?: string;
    reference?: string;
  };
  iscsi?: {
    chapAuthDiscovery?: boolean;
    chapAuthSession?: boolean;
    fsType?: string;
    initiatorName?: string;
    iqn: string;
    iscsiInterface?: string;
    lun: number;
    portals?: string[];
    readOnly?: boolean;
    secretRef?: {
      name?: string;
    };
    targetPortal: string;
  };
  name: string;
  nfs?: {
    path: string;
    readOnly?: boolean;
    server: string;
  };
  persistentVolumeClaim?: {
    claimName: string;
    readOnly?: boolean;
  };
  photonPersistentDisk?: {
    fsType?: string;
    pdID: string;
  };
  portworxVolume?: {
    fsType?: string;
    readOnly?: boolean;
    volumeID: string;
  };
  projected?: {
    defaultMode?: number;
    sources?: {
      clusterTrustBundle?: {
        labelSelector?: {
          matchExpressions?: {
            key: string;
            operator: string;
            values?: string[];
          }[];
          matchLabels?: {
            [k: string]: string;
          };
        };
        name?: string;
        optional?: boolean;
        path: string;
        signerName?: string;
      };
      configMap?: {
        items?: {
          key: string;
          mode?: number;
          path: string;
        }[];
        name?: string;
        optional?: boolean;
      };
      downwardAPI?: {
        items?: {
          fieldRef?: {
            apiVersion?: string;
            fieldPath: string;
          };
          mode?: number;
          path: string;
          resourceFieldRef?: {
            containerName?: string;
            divisor?: number | string;
            resource: string;
          };
        }[];
      };
      podCertificate?: {
        certificateChainPath?: string;
        credentialBundlePath?: string;
        keyPath?: string;
        keyType: string;
        maxExpirationSeconds?: number;
        signerName: string;
        userAnnotations?: {
          [k: string]: string;
        };
      };
      secret?: {
        items?: {
          key: string;
          mode?: number;
          path: string;
        }[];
        name?: string;
        optional?: boolean;
      };
      serviceAccountToken?: {
        audience?: string;
        expirationSeconds?: number;
        path: string;
      };
    }[];
  };
  quobyte?: {
    group?: string;
    readOnly?: boolean;
    registry: string;
    tenant?: string;
    user?: string;
    volume: string;
  };
  rbd?: {
    fsType?: string;
    image: string;
    keyring?: string;
    monitors: string[];
    pool?: string;
    readOnly?: boolean;
    secretRef?: {
      name?: string;
    };
    user?: string;
  };
  scaleIO?: {
    fsType?: string;
    gateway: string;
    protectionDomain?: string;
    readOnly?: boolean;
    secretRef: {
      name?: string;
    };
    sslEnabled?: boolean;
    storageMode?: string;
    storagePool?: string;
    system: string;
    volumeName?: string;
  };
  secret?: {
    defaultMode?: number;
    items?: {
      key: string;
      mode?: number;
      path: string;
    }[];
    optional?: boolean;
    secretName?: string;
  };
  storageos?: {
    fsType?: string;
    readOnly?: boolean;
    secretRef?: {
      name?: string;
    };
    volumeName?: string;
    volumeNamespace?: string;
  };
  vsphereVolume?: {
    fsType?: string;
    storagePolicyID?: string;
    storagePolicyName?: string;
    volumePath: string;
  };
}
export interface WorkerGroupSpec {
  groupName: string;
  idleTimeoutSeconds?: number;
  labels?: {
    [k: string]: string;
  };
  maxReplicas: number;
  minReplicas: number;
  numOfHosts?: number;
  priority?: number;
  rayStartParams?: {
    [k: string]: string;
  };
  replicas?: number;
  resources?: {
    [k: string]: string;
  };
  scaleStrategy?: {
    workersToDelete?: string[];
  };
  suspend?: boolean;
  template: PodTemplateSpec;
}
export interface RayClusterStatus {
  availableWorkerReplicas?: number;
  conditions?: {
    lastTransitionTime: string;
    message: string;
    observedGeneration?: number;
    reason: string;
    status: "True" | "False" | "Unknown";
    type: string;
  }[];
  desiredCPU?: number | string;
  desiredGPU?: number | string;
  desiredMemory?: number | string;
  desiredTPU?: number | string;
  desiredWorkerReplicas?: number;
  endpoints?: {
    [k: string]: string;
  };
  head?: {
    podIP?: string;
    podName?: string;
    serviceIP?: string;
    serviceName?: string;
  };
  lastUpdateTime?: string | null;
  maxWorkerReplicas?: number;
  minWorkerReplicas?: number;
  observedGeneration?: number;
  readyWorkerReplicas?: number;
  reason?: string;
  state?: string;
  stateTransitionTimes?: {
    [k: string]: string;
  };
}
