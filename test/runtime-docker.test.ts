import { silentLogger } from '../src/logger.js';
import { DockerRuntime } from '../src/runtime/docker/docker-runtime.js';
import { containerRuntimeContract } from './contract/container-runtime.contract.js';

// The Docker implementation against the real engine. (bubblewrap and Kubernetes runtimes will
// run this same suite when they exist.)
containerRuntimeContract('docker', () => new DockerRuntime(silentLogger()), 'berth-test/busybox');
