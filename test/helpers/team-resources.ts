import Docker from 'dockerode';

/** How many containers, networks and volumes carry a team's label (cleanup must leave none). */
export async function teamResources(team: string, docker = new Docker()) {
  const filters = { label: [`berth.team=${team}`] };
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return { containers: containers.length, networks: networks.length, volumes: volumes.Volumes?.length ?? 0 };
}
