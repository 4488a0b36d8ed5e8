import Docker from 'dockerode';
import { sweepTestResources } from './sweep.js';

const REQUIRED_IMAGES = [
  'berth-test/busybox',
  'berth-test/toolchain',
  'berth-test/noshell',
  'berth-preview/node',
  'berth-preview/python',
];

/** The suite runs against a real engine: fail fast, and say how to get one. */
export async function setup(): Promise<void> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch {
    throw new Error(
      'No Docker engine answers. Run `npm test` (it bootstraps one) or scripts/bootstrap-engine.sh as root.',
    );
  }
  for (const image of REQUIRED_IMAGES) {
    try {
      await docker.getImage(image).inspect();
    } catch {
      throw new Error(`Image ${image} is missing. Run scripts/bootstrap-engine.sh to build it.`);
    }
  }
  await sweepTestResources(docker);
}

export async function teardown(): Promise<void> {
  await sweepTestResources(new Docker());
}
